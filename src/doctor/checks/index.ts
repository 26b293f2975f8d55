import type { Check } from '../finding.js'
import { accessExpired } from './accessExpired.js'
import { clockSkew } from './clockSkew.js'
import {
  codexCopied,
  codexExpired,
  codexLogin,
  codexStoreSetting,
  envCodexApiKey,
  envOpenaiApiKey,
} from './codex.js'
import { configDirReadonly } from './configDirReadonly.js'
import { COPILOT_CHECKS } from './copilotAuth.js'
import { credentialsDir } from './credentialsDir.js'
import { credentialsMissing } from './credentialsMissing.js'
import { credentialsMode } from './credentialsMode.js'
import { credentialsOwner } from './credentialsOwner.js'
import { credentialsShape } from './credentialsShape.js'
import { credentialsSymlink } from './credentialsSymlink.js'
import { credentialsUnparseable } from './credentialsUnparseable.js'
import { diskFull } from './diskFull.js'
import { envCloudProvider } from './envCloudProvider.js'
import { envConfigDirSplit } from './envConfigDirSplit.js'
import { envAnthropicApiKey, envAnthropicAuthToken, envClaudeCodeOauthToken } from './envOverrides.js'
import { envProxy } from './envProxy.js'
import { fleetLogin } from './fleetLogin.js'
import { GEMINI_CHECKS } from './geminiAuth.js'
import { homeOwner } from './homeOwner.js'
import { hostMismatch } from './hostMismatch.js'
import { lockStale } from './lockStale.js'
import { loginEnding } from './loginEnding.js'
import { loginMarked } from './loginMarked.js'
import { loginOnline } from './loginOnline.js'
import { netTokenEndpoint } from './netTokenEndpoint.js'
import { onboardingMissing } from './onboardingMissing.js'
import { processesShared } from './processesShared.js'
import { refreshMissing } from './refreshMissing.js'
import { scopeInference } from './scopeInference.js'
import { settingsApiKeyHelper } from './settingsApiKeyHelper.js'
import { sshHeadless } from './sshHeadless.js'

/**
 * Every check, in the order their findings are listed within a severity (and --fix applies them): the
 * file itself first, then what Claude Code uses instead of it, then the machine, then the network.
 */
export const CHECKS: Check[] = [
  // A fleet host's token comes from the fleet (and then sits in the record file below).
  fleetLogin,
  // The credential file.
  credentialsMissing,
  credentialsUnparseable,
  credentialsOwner,
  credentialsMode,
  credentialsSymlink,
  credentialsDir,
  credentialsShape,
  refreshMissing,
  scopeInference,
  loginMarked,
  accessExpired,
  loginEnding,
  hostMismatch,
  codexLogin,
  codexExpired,
  codexCopied,
  // What Claude Code (or Codex) uses instead of it.
  envCodexApiKey,
  envOpenaiApiKey,
  codexStoreSetting,
  envCloudProvider,
  envAnthropicAuthToken,
  envAnthropicApiKey,
  settingsApiKeyHelper,
  envClaudeCodeOauthToken,
  onboardingMissing,
  envConfigDirSplit,
  // What Gemini CLI and Copilot CLI use instead of their files.
  ...GEMINI_CHECKS,
  ...COPILOT_CHECKS,
  // The machine.
  homeOwner,
  configDirReadonly,
  diskFull,
  lockStale,
  processesShared,
  sshHeadless,
  // The network (--online).
  envProxy,
  netTokenEndpoint,
  clockSkew,
  loginOnline,
]
