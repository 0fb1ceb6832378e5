// Preloaded into a measured command (node --import): reports its peak RSS when it exits.
process.on('exit', () => {
  process.stderr.write(`\nBENCH_RSS_MB ${(process.resourceUsage().maxRSS / 1024).toFixed(1)}\n`);
});
