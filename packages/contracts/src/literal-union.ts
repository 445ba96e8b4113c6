import { type TUnsafe, Type } from 'typebox';

/**
 * A union of string literals built from one list, typed as that list's members.
 * (`Type.Union(values.map(Type.Literal))` types its values as `never`, which is why lists
 * used to be spelled out twice.)
 */
export function literalUnion<const T extends readonly string[]>(values: T): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>(Type.Union(values.map((value) => Type.Literal(value))));
}
