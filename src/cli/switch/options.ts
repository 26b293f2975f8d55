export interface SwitchOptions {
  name: string
  profile?: string
}
