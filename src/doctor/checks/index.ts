import type { Check } from '../finding.js'
import { credentialsMissing } from './credentialsMissing.js'
import { envAnthropicApiKey } from './envAnthropicApiKey.js'

/** Every check, in the order their findings are listed. */
export const CHECKS: Check[] = [credentialsMissing, envAnthropicApiKey]
