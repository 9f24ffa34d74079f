/**
 * The one error type of the weights stage. Reading a checkpoint is reading user input, so every
 * way a file can be malformed ends in a `WeightsError` whose message says what is wrong and, where
 * there is one, names the tensor; the command line prints the message as it stands.
 */

/** A malformed or unusable weights file, or a request the weights stage cannot honour. */
export class WeightsError extends Error {
  /** The checkpoint tensor the problem concerns, when there is one. */
  readonly tensor: string | undefined;

  constructor(message: string, tensor?: string) {
    super(message);
    this.name = "WeightsError";
    this.tensor = tensor;
  }
}
