import { notYetImplemented } from '../../core/action.js'

export const run = notYetImplemented('backup-run')
