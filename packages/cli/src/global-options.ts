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
  /** --mode replay: the recording served (a file of `mlayer record --out`). */
  recording?: string;
  /** --mode replay: 1 (the recorded pace), N (N times faster) or max (default: no waits). */
  replaySpeed?: string;
}
