// The one sentence on how much better than naive (the last close) the best model is on this
// symbol, from the document's own backtest: mean MASE over the horizons both were scored at.

function meanMASE(model, horizons) {
  const scores = (model.accuracy?.horizons || []).filter((a) => horizons.includes(a.horizon)).map((a) => a.mase);
  return scores.length && scores.length === horizons.length ? scores.reduce((s, v) => s + v, 0) / scores.length : null;
}

/** The model with the lowest mean MASE over every horizon it was scored at (any model, naive included). */
export function bestModel(doc) {
  return doc.models
    .map((m) => ({ model: m, score: meanMASE(m, (m.accuracy?.horizons || []).map((a) => a.horizon)) }))
    .filter((c) => c.score !== null)
    .sort((a, b) => a.score - b.score)[0]?.model;
}

export function verdict(doc) {
  const naive = doc.models.find((m) => m.name === 'naive');
  if (!naive || !naive.accuracy) return 'This document has no backtested naive forecast, so it cannot say how any model compares with simply taking the last close.';
  const horizons = naive.accuracy.horizons.map((a) => a.horizon);
  const naiveScore = meanMASE(naive, horizons);
  const rivals = doc.models.filter((m) => m.name !== 'naive')
    .map((m) => ({ name: m.name, score: meanMASE(m, horizons) }))
    .filter((m) => m.score !== null)
    .sort((a, b) => a.score - b.score);
  const origins = naive.accuracy.origins;
  const over = `mean MASE over ${origins} backtest origins at horizons ${horizons.join(', ')}`;
  if (!rivals.length) return `No other model was backtested on ${doc.symbol}; naive scored a ${over} of ${naiveScore.toFixed(3)}.`;
  const best = rivals[0];
  const gain = 1 - best.score / naiveScore;
  const figures = `(${over}: ${best.score.toFixed(3)} against naive's ${naiveScore.toFixed(3)})`;
  if (gain <= 0) return `No model beats naive on ${doc.symbol}: the best, ${best.name}, is ${(-gain * 100).toFixed(1)}% worse than taking the last close ${figures}.`;
  if (gain < 0.02) return `The best model on ${doc.symbol}, ${best.name}, is only ${(gain * 100).toFixed(1)}% better than naive ${figures}: over so few origins that is within noise, so in practice no better than the last close.`;
  return `The best model on ${doc.symbol}, ${best.name}, is ${(gain * 100).toFixed(1)}% better than naive ${figures}.`;
}
