// ListMultipartUploads and ListParts for the sandbox's S3 server. fauxqs 2.4 keeps multipart
// uploads (and persists each under <storage>/_multipart/<uploadId>/: `.upload.json`, then
// `parts/<n>.meta.json` per part, written before it answers, removed on complete/abort) but routes
// `GET /bucket?uploads` to ListObjects and `GET /bucket/key?uploadId=` to GetObject. S3, SeaweedFS
// and MinIO answer both; backup-run needs them to find the uploads a killed run left. These answers
// are read from fauxqs's own files, so they show the server's real state, in S3's XML.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export interface LocalAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

interface UploadMeta {
  uploadId: string
  bucket: string
  key: string
  initiated: string
}

interface PartMeta {
  partNumber: number
  etag: string
  lastModified: string
  size: number
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function uploads(storageDir: string): UploadMeta[] {
  const dir = join(storageDir, '_multipart')
  let ids: string[]
  try {
    ids = readdirSync(dir)
  } catch {
    return []
  }
  const found: UploadMeta[] = []
  for (const id of ids) {
    try {
      found.push(JSON.parse(readFileSync(join(dir, id, '.upload.json'), 'utf8')) as UploadMeta)
    } catch {
      // completed or aborted while listed
    }
  }
  return found
}

function parts(storageDir: string, uploadId: string): PartMeta[] | undefined {
  const dir = join(storageDir, '_multipart', uploadId, 'parts')
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return undefined
  }
  const found: PartMeta[] = []
  for (const name of names.filter((n) => n.endsWith('.meta.json'))) {
    try {
      const meta = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Omit<PartMeta, 'size'>
      let size = 0
      try {
        size = readFileSync(join(dir, `${meta.partNumber}.data`)).length
      } catch {
        size = 0
      }
      found.push({ ...meta, size })
    } catch {
      // being written
    }
  }
  return found.sort((a, b) => a.partNumber - b.partNumber)
}

const XML_HEADERS = { 'content-type': 'application/xml' }

/** The answer to a request fauxqs does not implement (see above), or undefined to pass it on. */
export function multipartListingAnswer(storageDir: string, request: { method: string; operation: string; bucket: string; key: string; query: Record<string, string> }): LocalAnswer | undefined {
  if (request.method !== 'GET') return undefined
  if (request.operation === 'ListMultipartUploads') {
    const prefix = request.query.prefix ?? ''
    const listed = uploads(storageDir)
      .filter((u) => u.bucket === request.bucket && u.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.uploadId < b.uploadId ? -1 : 1))
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${xml(request.bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${xml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
      listed.map((u) => `<Upload><Key>${xml(u.key)}</Key><UploadId>${xml(u.uploadId)}</UploadId><Initiated>${xml(u.initiated)}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`).join('') +
      `</ListMultipartUploadsResult>`
    return { status: 200, headers: XML_HEADERS, body }
  }
  if (request.operation === 'ListParts') {
    const uploadId = request.query.uploadId ?? ''
    const upload = uploads(storageDir).find((u) => u.uploadId === uploadId && u.bucket === request.bucket && u.key === request.key)
    const listed = upload ? parts(storageDir, uploadId) : undefined
    if (!upload || !listed)
      return {
        status: 404,
        headers: XML_HEADERS,
        body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified multipart upload does not exist.</Message><UploadId>${xml(uploadId)}</UploadId></Error>`
      }
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${xml(request.bucket)}</Bucket><Key>${xml(request.key)}</Key><UploadId>${xml(uploadId)}</UploadId><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>` +
      listed.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${xml(p.lastModified)}</LastModified><ETag>${xml(p.etag)}</ETag><Size>${p.size}</Size></Part>`).join('') +
      `</ListPartsResult>`
    return { status: 200, headers: XML_HEADERS, body }
  }
  return undefined
}
