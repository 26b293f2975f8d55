export interface InstallOptions {
  to: string
  dir: string
  exe?: string
}
