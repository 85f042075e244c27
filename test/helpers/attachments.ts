/**
 * Small attachments for tests: the first bytes of real PNG, PDF and WAV files
 * (enough for their signatures; nobody decodes them), as Buffers and base64.
 */

/** Sample bytes by kind. */
export const ATTACHMENT_BYTES = {
  // PNG signature and an IHDR chunk header.
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01]),
  pdf: Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1'),
  // RIFF header of a 16 kHz mono PCM WAV.
  wav: Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WAVEfmt '), Buffer.from([16, 0, 0, 0, 1, 0, 1, 0, 0x80, 0x3e, 0, 0])]),
} as const;

/** Standard base64 (with padding), as data: URLs and provider APIs carry bytes. */
export function base64Of(bytes: Buffer): string {
  return bytes.toString('base64');
}
