// Loaded inside the workflow sandbox (failureConverterPath): failure messages and stack
// traces become payloads, so the codec encrypts them like everything else.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
