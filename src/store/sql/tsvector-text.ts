/** Lexemes and their position counts (tf) from a tsvector's text form, e.g. `'abc':1,4 'it''s':2A`. */
export function parseTsvector(text: string): [string, number][] {
  const out: [string, number][] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== "'") {
      i++;
      continue;
    }
    let lexeme = '';
    for (i++; i < text.length; i++) {
      const ch = text[i] as string;
      if (ch === '\\') lexeme += text[++i] ?? '';
      else if (ch === "'" && text[i + 1] === "'") lexeme += text[i++] as string;
      else if (ch === "'") break;
      else lexeme += ch;
    }
    i++;
    let tf = 0;
    if (text[i] === ':') for (tf = 1; i < text.length && text[i] !== ' '; i++) if (text[i] === ',') tf++;
    // A stripped lexeme (no positions) counts once, as ts_rank_cd counts it.
    out.push([lexeme, Math.max(tf, 1)]);
  }
  return out;
}
