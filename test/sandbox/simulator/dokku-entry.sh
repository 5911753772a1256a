#!/usr/bin/env bash
# The sandbox host's `dokku` command: a line-for-line replica of the dispatch at the top of
# the real `dokku` entry script (dokku v0.38.27, lines 66-125), so that argv reaches the
# simulator exactly as it would reach a real Dokku: the global-flag shift, the re-exec as
# the dokku user, the root-only refusal, and the re-parse of SSH_ORIGINAL_COMMAND with the
# machine's real xargs (or plain whitespace splitting for words containing "git").
# The sandbox copies this file to <sandbox>/bin/dokku; <sandbox>/env says what to exec.
set -eo pipefail
shopt -s nullglob

SANDBOX_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export DOKKU_SANDBOX_ROOT="$SANDBOX_ROOT"
# shellcheck source=/dev/null
source "$SANDBOX_ROOT/env" # defines the DOKKU_SANDBOX_EXEC array

args=("$@")
skip_arg=false
if [[ "${args[0]}" =~ ^--.* ]]; then
  for arg in "$@"; do
    $skip_arg && skip_arg=false && continue
    if [[ "$arg" == "--version" ]]; then
      continue
    fi
    if [[ "$arg" == "--app" ]]; then
      shift 2 && skip_arg=true
    elif [[ "$arg" =~ ^--.* ]]; then
      shift 1
    else
      break
    fi
  done
fi

if [[ $(id -un) != "dokku" ]]; then
  if [[ ! $1 =~ plugin:* ]] && [[ $1 != "ssh-keys:add" ]] && [[ $1 != "ssh-keys:remove" ]] && [[ $1 != "scheduler-k3s:initialize" ]] && [[ $1 != "scheduler-k3s:uninstall" ]]; then
    unset DOKKU_PID TMP TMPDIR TEMP TEMPDIR
    SSH_USER=$(id -un)
    export SSH_USER
    # real: sudo -u dokku -E -H "$0" "$@"
    exec setpriv --reuid=dokku --regid=dokku --init-groups env HOME="$(getent passwd dokku | cut -d: -f6)" "$0" "${args[@]}"
  fi
fi

if [[ $1 =~ ^plugin:.* && $1 != "plugin:help" && $1 != "plugin:list" ]] || [[ $1 == "ssh-keys:add" ]] || [[ $1 == "ssh-keys:remove" ]] || [[ $1 == "scheduler-k3s:initialize" ]] || [[ $1 == "scheduler-k3s:uninstall" ]]; then
  if [[ $(id -un) != "root" ]]; then
    echo " !     This command must be run as root" >&2
    exit 1
  else
    export SSH_USER=root
  fi
fi

if [[ -n "$SSH_ORIGINAL_COMMAND" ]]; then
  export -n SSH_ORIGINAL_COMMAND
  exit_code=0
  if [[ $1 =~ git-* ]] || [[ $1 =~ git:* ]]; then
    set -f
    # shellcheck disable=SC2086
    $0 $SSH_ORIGINAL_COMMAND
    exit_code=$?
    set +f
  else
    readarray -t -O "${#ssh_arg_array[@]}" ssh_arg_array < <(printf '%s' "$SSH_ORIGINAL_COMMAND" | xargs -n 1)
    set -f
    $0 "${ssh_arg_array[@]}"
    exit_code=$?
    set +f
  fi
  exit $exit_code
fi

exec "${DOKKU_SANDBOX_EXEC[@]}" "${args[@]}"
