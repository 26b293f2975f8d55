export interface ExecOptions {
  profile?: string
  mask?: boolean
  env?: string
  command: string[]
}
