/** At most `concurrency` async jobs at once, started in the order they were asked for (render tasks, remote-cache transfers). */
export function createLimiter(concurrency: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (active >= concurrency) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };
  return <T>(job: () => Promise<T>) =>
    new Promise<T>((resolvePromise, rejectPromise) => {
      queue.push(() => {
        job()
          .then(resolvePromise, rejectPromise)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}
