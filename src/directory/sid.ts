// objectSid arrives as the binary SID structure (MS-DTYP 2.4.2); AMT ACLs and logs want S-1-5-21-...

export function sidToString(sid: Buffer): string {
  if (sid.length < 8) throw new Error(`a SID has at least 8 bytes; got ${sid.length}`);
  const revision = sid.readUInt8(0);
  const count = sid.readUInt8(1);
  if (sid.length !== 8 + 4 * count) throw new Error(`SID with ${count} sub-authorities must be ${8 + 4 * count} bytes; got ${sid.length}`);
  const authority = sid.readUIntBE(2, 6);
  const subs = Array.from({ length: count }, (_, i) => sid.readUInt32LE(8 + 4 * i));
  // MS-DTYP: authorities of 2^32 and above are written in hex.
  const auth = authority >= 2 ** 32 ? `0x${authority.toString(16).toUpperCase().padStart(12, '0')}` : String(authority);
  return ['S', revision, auth, ...subs].join('-');
}
