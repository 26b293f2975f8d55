import qrcode from 'qrcode-terminal'

/** A QR code of the URL, drawn with half-block characters, for a phone to scan off the terminal. */
export function qrText(url: string): string {
  let text = ''
  qrcode.generate(url, { small: true }, (drawn: string) => {
    text = drawn
  })
  return text
}
