import { InvalidArgumentError, Option } from 'commander'

export function intIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    }
    return n
  }
}

export const profileOption = () =>
  new Option('--profile <name>', 'the profile to use (default: $AUTHKEEP_PROFILE, or the only one)')
export const jsonOption = () => new Option('--json', 'print machine-readable JSON on stdout')
