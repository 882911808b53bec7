// Restores normal spacing to Penn-Treebank tokenized text (SST): the raw text a user would type.
/** `It 's not good .` → `It's not good.`: clitics, punctuation and quotes re-attached. */
export function detokenize(ptb: string): string {
  return ptb
    .replace(/ (n't|'s|'re|'ve|'d|'ll|'m)\b/gi, '$1')
    .replace(/`` /g, '"')
    .replace(/ ''/g, '"')
    .replace(/ ([.,;:!?%)\]}])/g, '$1')
    .replace(/([([{$]) /g, '$1')
    .replace(/ -- /g, ' — ')
    .trim();
}
