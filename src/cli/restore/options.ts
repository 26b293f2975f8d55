export interface RestoreOptions {
  id: string
}
