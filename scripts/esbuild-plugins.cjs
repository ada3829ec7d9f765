// esbuild plugins for serverless-esbuild (serverless.yml `custom.esbuild.plugins`).
// The bundle is CommonJS, but this repository's package.json says "type": "module", so Node (and therefore
// `serverless invoke local`, which loads the bundle from .esbuild/) would read the bundle as ESM and fail.
// A {"type": "commonjs"} package.json next to the bundle settles it. serverless-esbuild zips it with the
// bundle, which is harmless on Lambda and states the module format explicitly there too.
const { mkdir, writeFile } = require('node:fs/promises');

module.exports = [
  {
    name: 'commonjs-package-marker',
    setup(build) {
      build.onEnd(async (result) => {
        const outdir = build.initialOptions.outdir;
        if (result.errors.length > 0 || outdir === undefined) return;
        await mkdir(outdir, { recursive: true });
        await writeFile(`${outdir}/package.json`, '{"type": "commonjs"}\n');
      });
    },
  },
];
