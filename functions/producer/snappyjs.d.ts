// snappyjs ships no types: the two functions used (Snappy block format, as Loki's push uses).
declare module 'snappyjs' {
  /** Throws on a corrupt stream, or when the stated length exceeds `maxLength`. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array<ArrayBuffer>;
  export function compress(input: Uint8Array): Uint8Array<ArrayBuffer>;
}
