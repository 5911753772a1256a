// The sandbox's S3 server as the tests reach it directly (not through the recording proxy the actions
// use), for what a test sets up or inspects: its buckets and objects.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import type { Sandbox } from '../sandbox/harness/sandbox.ts'

export function sandboxS3(sandbox: Sandbox): S3Client {
  const s3 = sandbox.s3
  return new S3Client({
    endpoint: s3.directEndpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED'
  })
}

export async function createSandboxBucket(sandbox: Sandbox, bucket: string): Promise<void> {
  const client = sandboxS3(sandbox)
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
  } finally {
    client.destroy()
  }
}
