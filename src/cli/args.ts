// Argument parsers shared by the command-line entry points: a bad value is a usage error
// naming what was expected and what was found.
import { InvalidArgumentError } from 'commander';

export const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, found '${v}'`);
  return n;
};

export const number = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, found '${v}'`);
  return n;
};
