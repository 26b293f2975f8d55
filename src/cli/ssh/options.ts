export interface SshOptions {
  socket?: string
  printConfig?: string
  sshArgs: string[]
}
