// The S3 bucket naming rules, one place for every input that names a bucket.

/**
 * S3 bucket naming rules (AWS "Bucket naming rules", general purpose buckets): 3–63 characters,
 * lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no two
 * adjacent dots, not an IP address, none of the reserved prefixes and suffixes.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long'
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return 'may contain only lowercase letters, digits, dots and hyphens, and must start and end with a letter or digit'
  if (name.includes('..')) return 'must not contain two adjacent dots'
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not look like an IP address'
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return 'uses a prefix or suffix S3 reserves'
  return undefined
}
