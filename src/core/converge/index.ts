export * from './apply.js'
export * from './plan.js'
export * from './render.js'
