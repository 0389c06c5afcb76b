/** `node --import <this file> ...`: records the resolved module URLs (see record-imports-hooks.mjs). */
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url);
