/** The tool's version, from package.json; a bundle gets it inlined (esbuild keeps only the field imported). */
import { version } from '../package.json';

export const TOOL_VERSION: string = version;
