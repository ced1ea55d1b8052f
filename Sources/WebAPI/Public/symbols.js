// The server's rule for symbols (it checks too): 1-10 of A-Z 0-9 . - after upper-casing.
const SYMBOL = /^[A-Z0-9.-]{1,10}$/;

/** { symbol } when valid, else { error } saying why. */
export function checkSymbol(text) {
  const symbol = (text || '').trim().toUpperCase();
  if (!symbol) return { error: 'Enter a symbol, such as MSFT.' };
  if (symbol.length > 10) return { error: 'A symbol has at most 10 characters.' };
  if (!SYMBOL.test(symbol)) return { error: 'Use only letters, digits, "." and "-".' };
  return { symbol };
}
