import { describe, expect, it } from 'vitest'
import { parseImageName, parseImageReference } from '../../../src/core/services/image.ts'

const DIGEST = `sha256:${'a'.repeat(64)}`

describe('parseImageReference', () => {
  it('splits repository, tag and digest, a registry port not being a tag', () => {
    expect(parseImageReference('ghcr.io/acme/uro:1.2')).toEqual({ repository: 'ghcr.io/acme/uro', tag: '1.2', digest: undefined })
    expect(parseImageReference(`localhost:5000/uro@${DIGEST}`)).toEqual({ repository: 'localhost:5000/uro', tag: undefined, digest: DIGEST })
    expect(parseImageReference(`chrislusf/seaweedfs:4.48@${DIGEST}`)).toEqual({ repository: 'chrislusf/seaweedfs', tag: '4.48', digest: DIGEST })
    expect(parseImageReference('redis')).toEqual({ repository: 'redis', tag: undefined, digest: undefined })
  })

  it('refuses what Docker would refuse, and anything the forced command would split', () => {
    for (const bad of ['', 'Uro', 'uro:', 'a//b', '-uro', 'uro:1 2', 'uro@sha256:abc', `uro@${DIGEST}@${DIGEST}`, 'uro:-x', 'uro/'])
      expect(parseImageReference(bad), bad).toBeUndefined()
  })
})

describe('parseImageName', () => {
  it('takes a repository with an optional digest, never a tag', () => {
    expect(parseImageName(`postgis/postgis@${DIGEST}`)).toEqual({ repository: 'postgis/postgis', digest: DIGEST })
    expect(parseImageName('registry:5000/postgres')).toEqual({ repository: 'registry:5000/postgres', digest: undefined })
    expect(parseImageName('postgres:18')).toBeUndefined()
  })
})
