export interface AgentOptions {
  profile?: string[]
  socket?: string
  confirm?: boolean
}
