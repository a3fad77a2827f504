/**
 * Sleeps that a shutdown can cut short: a poller waiting for its next poll or retry wakes as
 * soon as it is told to stop, instead of at the end of its wait.
 */
export class InterruptibleSleep {
  private waiting: (() => void)[] = [];

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiting.push(done);
    });
  }

  /** Ends every sleep in progress now. */
  wakeAll(): void {
    for (const wake of this.waiting.splice(0)) wake();
  }
}
