#!/usr/bin/env node
// The same program as bin/authkeep.cjs, for callers that name this file. Pointing package.json's "bin"
// at authkeep.cjs instead skips Node's ESM loader on the hot path (`authkeep token`).
import './authkeep.cjs'
