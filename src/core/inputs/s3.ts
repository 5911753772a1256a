// The S3 inputs more than one mode reads (backup-run's destination, migrate's uploads bucket): one
// reading of each, so that a bucket name or an endpoint is refused the same way wherever it is given.
import { bucketNameProblem } from '../s3/names.js'
import { invalid, type InputReader } from './readers.js'

/** Refuses a bucket name S3 would refuse (the rules of core/s3/names.ts), naming the input. */
export function checkBucketName(name: string, bucket: string, example: string): string {
  const problem = bucketNameProblem(bucket)
  if (problem) throw invalid(name, bucket, `has a bucket name that ${problem}`, `Use 3–63 lowercase letters, digits, dots and hyphens, e.g. ${example}.`)
  return bucket
}

/** An S3 endpoint: scheme, host and port only (path-style addressing puts the bucket in the path). Undefined when empty (AWS). */
export function readS3Endpoint(inputs: InputReader, name: string): string | undefined {
  const url = inputs.url(name, { protocols: ['https:', 'http:'] })
  if (!url) return undefined
  if (url.pathname !== '/' || url.search || url.username) throw invalid(name, url.toString(), 'must be the endpoint only (scheme, host, port)', 'For example https://s3.example.com; the bucket goes in its own input.')
  return url.origin
}

/**
 * A key prefix: letters, digits, `. _ - /`, ending in `/` once normalized (`uploads` → `uploads/`),
 * no empty or `..` segment. Narrow on purpose: a prefix is pasted into keys, listings and logs.
 */
export function readKeyPrefix(inputs: InputReader, name: string, fallback: string, example: string): string {
  const given = inputs.string(name, fallback).replace(/^\/+/, '')
  const prefix = given === '' || given.endsWith('/') ? given : `${given}/`
  if (!/^[A-Za-z0-9._\-/]*$/.test(prefix) || prefix.includes('//') || prefix.split('/').includes('..'))
    throw invalid(name, prefix, 'must be a key prefix of letters, digits, . _ - and /', `For example ${example}.`)
  return prefix
}

/**
 * A region name (`us-east-1`, `auto`, `garage`): it goes into the request signature and, for AWS
 * itself (no endpoint), into the host name the SDK builds, so nothing but a DNS label is taken.
 */
export function readS3Region(inputs: InputReader, name: string): string {
  const region = inputs.string(name, 'us-east-1')
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(region)) throw invalid(name, region, 'must be a region name (lowercase letters, digits and hyphens)', 'For example us-east-1, or what your S3 server calls its region.')
  return region
}
