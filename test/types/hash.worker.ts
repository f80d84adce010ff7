// A worker module as a user writes one, for the type-level test of
// weft/workers in consumer.ts (type-checked against dist/, never run).
import { move } from 'weft/workers';

export function sha256(data: Uint8Array): string {
  return String(data.byteLength);
}

export async function stretch(seed: string, rounds: number): Promise<string> {
  return seed.repeat(rounds);
}

export function pattern(size: number): Uint8Array {
  return move(new Uint8Array(size));
}

export const VERSION = 1;
