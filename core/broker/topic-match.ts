// AMQP topic-exchange matching: dot-separated words, `*` matches exactly one word, `#` zero or more.

export function topicMatches(pattern: string, topic: string): boolean {
  return match(pattern.split('.'), 0, topic.split('.'), 0);
}

function match(p: string[], i: number, t: string[], j: number): boolean {
  for (; i < p.length; i++, j++) {
    const w = p[i];
    if (w === '#') {
      if (i === p.length - 1) return true;
      for (let k = j; k <= t.length; k++) if (match(p, i + 1, t, k)) return true;
      return false;
    }
    if (j >= t.length || (w !== '*' && w !== t[j])) return false;
  }
  return j === t.length;
}
