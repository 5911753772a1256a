import '../../core/esm-shim.js'
import { runAction } from '../../core/action.js'
import { run } from './main.js'

void runAction('dokku-service', () => run())
