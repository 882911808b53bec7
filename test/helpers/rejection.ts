// The error a promise rejects with, for assertions on its code and message; a promise that
// resolves fails the test.
export async function rejection(p: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code: string };
  }
  throw new Error('expected a rejection');
}
