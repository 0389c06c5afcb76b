/** Global options every command sees (MML's mode flag is `--mode`). */
export interface GlobalOptions {
  facility?: string;
  mode?: string;
  yes?: boolean;
  json?: boolean;
  verbose?: boolean;
}
