#!/usr/bin/env node
import '../dist/authkeep.js'
