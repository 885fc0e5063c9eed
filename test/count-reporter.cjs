// Mocha reporter: the usual spec output, plus the counts written to the JSON
// file named by BPL_COUNTS (read by scripts/test.mjs for the closing line).
const Mocha = require('mocha');
const { writeFileSync } = require('node:fs');

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats || {};
      if (process.env.BPL_COUNTS) {
        writeFileSync(
          process.env.BPL_COUNTS,
          JSON.stringify({ passed: s.passes || 0, failed: s.failures || 0, skipped: s.pending || 0 }),
        );
      }
    });
  }
}
module.exports = CountReporter;
