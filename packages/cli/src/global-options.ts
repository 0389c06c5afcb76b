/** Global options every command sees (MML's mode flag is `--mode`). */
export interface GlobalOptions {
  facility?: string;
  mode?: string;
  yes?: boolean;
  json?: boolean;
  verbose?: boolean;
  /** ws://HOST:PORT of a running `mlayer server`: the control system is the server's (default $MLAYER_SERVER). */
  server?: string;
  /** The server's write token file (default $MLAYER_SERVER_TOKEN_FILE). */
  tokenFile?: string;
}
