/**
 * The tags and flags of an encoded value (codec.ts writes them, byte-reader.ts
 * reads them): the value format, defined once for both sides.
 * @internal
 */
export const T_UNDEFINED = 0;
export const T_NULL = 1;
export const T_FALSE = 2;
export const T_TRUE = 3;
export const T_INT = 4;
export const T_NUMBER = 5;
/** Tags 0 to this one are the scalars (ByteWriter.scalar), in both encodings. */
export const SCALAR_TAGS_END = T_NUMBER;
export const T_STRING = 6;
export const T_ARRAY = 7;
export const T_OBJECT = 8;
export const T_V8 = 9;
/** The shaped encoding (shape-codec.ts), for plain values past the compact budget. */
export const T_SHAPED = 10;

/** Set in a string's length word when its bytes are UTF-16 code units (it is not well-formed). */
export const UTF16 = 0x80000000;
/** Set in a string's length word when its bytes are Latin-1, one per character. */
export const LATIN1 = 0x40000000;
