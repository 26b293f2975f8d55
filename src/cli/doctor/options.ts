export interface DoctorOptions {
  profile?: string
  json?: boolean
  online?: boolean
  fix?: boolean
}
