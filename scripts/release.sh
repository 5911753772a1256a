#!/usr/bin/env bash
# Tags a release of dokku-stack: vX.Y.Z on the current commit, and moves the major tag vX to it
# (workflows use `…@v1`; see the README's "Versions"). It refuses, changing nothing, when:
#   - the working tree has changes or untracked files (the tag must name what was tested);
#   - dist/ is stale: scripts/check-dist.sh rebuilds it and it differs from the commit;
#   - CHANGELOG.md has no "## [X.Y.Z]" section, or package.json's version is not X.Y.Z;
#   - vX.Y.Z exists already, or a newer vX.* release does (vX would move backwards).
# It pushes nothing unless asked with --push; otherwise it prints the two push commands.
#
#   scripts/release.sh X.Y.Z [--push] [--remote NAME]      (default remote: origin)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/release.sh X.Y.Z [--push] [--remote NAME]" >&2
  exit 2
}
refuse() {
  echo "release: refusing: $1" >&2
  exit 1
}

version=""
push=false
remote=origin
while [ $# -gt 0 ]; do
  case "$1" in
    --push) push=true ;;
    --remote) [ $# -ge 2 ] || usage; remote="$2"; shift ;;
    -h|--help) usage ;;
    -*) echo "release: unknown option $1" >&2; usage ;;
    *) [ -z "$version" ] || usage; version="$1" ;;
  esac
  shift
done
[ -n "$version" ] || usage
version="${version#v}"
if ! [[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
  refuse "\"$version\" is not a release version MAJOR.MINOR.PATCH (e.g. 1.2.0)"
fi
major="v${BASH_REMATCH[1]}"
tag="v$version"

[ -z "$(git status --porcelain --untracked-files=all)" ] ||
  refuse "the working tree has changes; commit or stash them first:
$(git status --short --untracked-files=all)"

git rev-parse -q --verify "refs/tags/$tag" >/dev/null && refuse "$tag exists already (on $(git rev-list -n 1 "$tag"))"
newest="$(git tag -l "$major.*" | grep -E "^$major\.[0-9]+\.[0-9]+$" | sort -V | tail -n 1 || true)"
if [ -n "$newest" ] && [ "$(printf '%s\n%s\n' "$newest" "$tag" | sort -V | tail -n 1)" != "$tag" ]; then
  refuse "$newest is newer than $tag; $major must not move back to an older release"
fi

package_version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json | head -n 1)"
[ "$package_version" = "$version" ] ||
  refuse "package.json's version is \"$package_version\", not \"$version\"; set it, commit, and run again"

# The section's notes: from its heading to the next "## " heading.
notes="$(awk -v heading="## [$version]" '
  index($0, heading) == 1 { found = 1; next }
  found && /^## / { exit }
  found { print }
' CHANGELOG.md)"
grep -q "^## \[$version\]" CHANGELOG.md ||
  refuse "CHANGELOG.md has no \"## [$version]\" section; move the Unreleased notes under \"## [$version] - $(date -u +%Y-%m-%d)\", commit, and run again"
[ -n "$(printf '%s' "$notes" | tr -d '[:space:]')" ] || refuse "CHANGELOG.md's \"## [$version]\" section is empty"

echo "release: checking that dist/ matches a fresh build of src/ (scripts/check-dist.sh)…" >&2
bash scripts/check-dist.sh >&2 || refuse "dist/ is stale (see above); rebuild, commit, and run again"
[ -z "$(git status --porcelain --untracked-files=all)" ] || refuse "the dist/ check left the working tree changed"

commit="$(git rev-parse HEAD)"
git tag -a "$tag" -m "dokku-stack $version" -m "$notes"
git tag -f -a "$major" -m "dokku-stack $version (moving tag: the newest $major.x.y release)" "$commit" >/dev/null
echo "release: tagged $tag and moved $major to ${commit:0:12}" >&2

if $push; then
  git push "$remote" "refs/tags/$tag"
  git push --force "$remote" "refs/tags/$major"
  echo "release: pushed $tag and $major to $remote" >&2
else
  echo "release: nothing pushed. To publish:" >&2
  echo "  git push $remote refs/tags/$tag && git push --force $remote refs/tags/$major" >&2
fi
