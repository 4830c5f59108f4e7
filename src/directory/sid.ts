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

/** S-1-5-21-... -> the binary SID structure (MS-DTYP 2.4.2), as AMT's KerberosUserSid wants it (base64). */
export function sidFromString(text: string): Buffer {
  const match = /^S-(\d+)-(\d+|0x[0-9A-Fa-f]{12})((?:-\d+)+)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a SID like S-1-5-21-...`);
  const subs = match[3].slice(1).split('-').map(Number);
  if (subs.length > 15 || subs.some((n) => n > 0xffffffff)) throw new Error(`"${text}" has too many or too large sub-authorities`);
  const sid = Buffer.alloc(8 + 4 * subs.length);
  sid.writeUInt8(Number(match[1]), 0);
  sid.writeUInt8(subs.length, 1);
  sid.writeUIntBE(Number(match[2]), 2, 6);
  subs.forEach((sub, i) => sid.writeUInt32LE(sub, 8 + 4 * i));
  return sid;
}
