// A local stand-in for AWS Secrets Manager, speaking its awsJson1_1 protocol (POST / with
// `x-amz-target: secretsmanager.<Action>`) for the few actions the broker and its rotation use.
// Signatures are not verified; with `accessKeyIds` set, a request must carry a SigV4 Authorization
// header whose credential names one of those keys (what proves which credentials a client signed
// with), else it is refused as the service refuses an unknown key. Versions and staging labels behave as the service's do:
// AWSCURRENT moves to the newest version, and the version it left becomes AWSPREVIOUS.

import { randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HostedEmulator, LocalServer, parseJsonObject, readBody, send, type DelayFault, type DropFault } from './http.js';

export interface SecretsManagerEmulatorOptions {
  port?: number;
  region?: string;
  accountId?: string;
  /**
   * When set, only requests signed (SigV4 `Authorization: AWS4-HMAC-SHA256 Credential=<key>/...`)
   * with one of these access key ids are served; others get 400 UnrecognizedClientException, or
   * MissingAuthenticationTokenException without the header. Default: anything is served.
   */
  accessKeyIds?: readonly string[];
}

/** A fault applies to the next request, whatever its action; faults queue up. */
export type SecretsManagerFault =
  | { readonly kind: 'error'; readonly type: string; readonly status: number; readonly message?: string }
  | DelayFault
  | DropFault;

export interface SecretsManagerCall {
  readonly action: string;
  readonly secretId?: string;
  /** The access key id of the request's SigV4 Authorization header, when it has one. */
  readonly accessKeyId?: string;
  readonly at: number;
}

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';
const TARGET_PREFIX = 'secretsmanager.';
/** `AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/secretsmanager/aws4_request, SignedHeaders=…, Signature=…` */
const SIGV4_CREDENTIAL = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/\d{8}\/[^/]+\/secretsmanager\/aws4_request,/;
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ARN_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface Version {
  readonly id: string;
  /** Undefined for the version RotateSecret stages before the rotation function gives it a value. */
  secretString: string | undefined;
  readonly createdDate: number;
  readonly stages: Set<string>;
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly createdDate: number;
  readonly kmsKeyId: string | undefined;
  readonly versions: Map<string, Version>;
  /** Set while the secret is scheduled for deletion. */
  deletedDate: number | undefined;
}

type Input = Record<string, unknown>;

/** A modeled service error (all of Secrets Manager's are client faults, HTTP 400). */
class SecretsManagerError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

const notFound = (message = "Secrets Manager can't find the specified secret."): SecretsManagerError =>
  new SecretsManagerError('ResourceNotFoundException', message);
const invalidParameter = (message: string): SecretsManagerError => new SecretsManagerError('InvalidParameterException', message);

export class SecretsManagerEmulator extends HostedEmulator {
  readonly calls: SecretsManagerCall[] = [];
  readonly #region: string;
  readonly #accountId: string;
  readonly #accessKeyIds: ReadonlySet<string> | undefined;
  readonly #secrets = new Map<string, Secret>();
  readonly #faults: SecretsManagerFault[] = [];
  readonly #actions: Record<string, (input: Input) => Record<string, unknown>> = {
    GetSecretValue: (input) => this.#getSecretValue(input),
    PutSecretValue: (input) => this.#putSecretValue(input),
    CreateSecret: (input) => this.#createSecret(input),
    DescribeSecret: (input) => this.#describeSecret(input),
    UpdateSecretVersionStage: (input) => this.#updateSecretVersionStage(input),
    RotateSecret: (input) => this.#rotateSecret(input),
  };

  private constructor(host: LocalServer, options: SecretsManagerEmulatorOptions) {
    super(host);
    this.#region = options.region ?? 'us-east-1';
    this.#accountId = options.accountId ?? '123456789012';
    this.#accessKeyIds = options.accessKeyIds === undefined ? undefined : new Set(options.accessKeyIds);
  }

  static async start(options: SecretsManagerEmulatorOptions = {}): Promise<SecretsManagerEmulator> {
    let emulator: SecretsManagerEmulator | undefined;
    const host = await LocalServer.listen(options.port ?? 0, (req, res) => emulator!.#handle(req, res));
    emulator = new SecretsManagerEmulator(host, options);
    return emulator;
  }


  // ---- test controls ------------------------------------------------------------------------

  /** Creates the secret, or adds a version to it; either way the new version is AWSCURRENT. */
  putSecret(name: string, secretString: string): string {
    const answer = this.#secrets.has(name)
      ? this.#putSecretValue({ SecretId: name, SecretString: secretString })
      : this.#createSecret({ Name: name, SecretString: secretString });
    return answer['VersionId'] as string;
  }

  /**
   * Deletes the secret at once, so later calls fail with ResourceNotFoundException. With
   * `markForDeletion` it is only scheduled for deletion instead, as DeleteSecret with a recovery
   * window does: later calls then fail with InvalidRequestException.
   */
  deleteSecret(name: string, options: { markForDeletion?: boolean } = {}): void {
    const secret = this.#secrets.get(name);
    if (secret === undefined) throw notFound();
    if (options.markForDeletion) secret.deletedDate = Date.now() / 1000;
    else this.#secrets.delete(name);
  }

  injectFault(fault: SecretsManagerFault): void {
    this.#faults.push(fault);
  }

  callCount(action: string): number {
    return this.calls.filter((call) => call.action === action).length;
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    const input = parseJsonObject(text);
    const secretId = input?.['SecretId'] ?? input?.['Name'];
    const accessKeyId = SIGV4_CREDENTIAL.exec(String(req.headers.authorization ?? ''))?.[1];
    this.calls.push({
      action,
      ...(typeof secretId === 'string' ? { secretId } : {}),
      ...(accessKeyId === undefined ? {} : { accessKeyId }),
      at: Date.now(),
    });
    if (this.#accessKeyIds !== undefined && (accessKeyId === undefined || !this.#accessKeyIds.has(accessKeyId))) {
      const type = accessKeyId === undefined ? 'MissingAuthenticationTokenException' : 'UnrecognizedClientException';
      reply(res, 400, { __type: type, message: 'The security token included in the request is invalid.' }, type);
      return;
    }

    const fault = this.#faults.shift();
    switch (fault?.kind) {
      case 'drop':
        req.socket.destroy();
        return;
      case 'error':
        reply(res, fault.status, { __type: fault.type, message: fault.message }, fault.type);
        return;
      case 'delay':
        await this.host.delay(fault.ms);
        break;
    }

    if (req.method !== 'POST' || new URL(req.url ?? '/', this.url).pathname !== '/') {
      send(res, 404, { 'Content-Type': 'application/json' }, JSON.stringify({ message: 'Not Found' }));
      return;
    }
    const run = Object.hasOwn(this.#actions, action) ? this.#actions[action] : undefined;
    try {
      if (run === undefined) throw new SecretsManagerError('UnknownOperationException', '');
      if (input === undefined) throw new SecretsManagerError('SerializationException', 'Invalid JSON body');
      reply(res, 200, run(input));
    } catch (error) {
      const known = error instanceof SecretsManagerError;
      // An emulator bug is answered as the service's server fault rather than hanging the caller.
      const type = known ? error.type : 'InternalServiceError';
      reply(res, known ? 400 : 500, { __type: type, message: known ? error.message : `Emulator failure: ${String(error)}` }, type);
    }
  }

  // ---- actions ------------------------------------------------------------------------------------

  #getSecretValue(input: Input): Record<string, unknown> {
    const secret = this.#find(input['SecretId']);
    const versionId = optionalString(input, 'VersionId');
    const stage = optionalString(input, 'VersionStage') ?? (versionId === undefined ? CURRENT : undefined);
    const version =
      versionId === undefined ? [...secret.versions.values()].find((v) => v.stages.has(stage!)) : secret.versions.get(versionId);
    if (version === undefined || version.secretString === undefined || (stage !== undefined && !version.stages.has(stage))) {
      throw notFound(
        versionId === undefined
          ? `Secrets Manager can't find the specified secret value for staging label: ${stage}`
          : `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: version.secretString,
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
    };
  }

  #putSecretValue(input: Input): Record<string, unknown> {
    const secret = this.#find(input['SecretId']);
    const secretString = optionalString(input, 'SecretString');
    if (secretString === undefined) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    const stages = optionalStrings(input, 'VersionStages') ?? [CURRENT];
    if (stages.length === 0) throw invalidParameter('VersionStages must not be empty.');
    const version = this.#addVersion(secret, secretString, optionalString(input, 'ClientRequestToken'), stages);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  #createSecret(input: Input): Record<string, unknown> {
    const name = optionalString(input, 'Name');
    if (name === undefined || !NAME_PATTERN.test(name)) throw invalidParameter('Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
    const existing = this.#secrets.get(name);
    if (existing?.deletedDate !== undefined) {
      throw new SecretsManagerError(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing !== undefined) {
      throw new SecretsManagerError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    const suffix = Array.from({ length: 6 }, () => ARN_SUFFIX_ALPHABET[randomInt(ARN_SUFFIX_ALPHABET.length)]).join('');
    const secret: Secret = {
      name,
      arn: `arn:aws:secretsmanager:${this.#region}:${this.#accountId}:secret:${name}-${suffix}`,
      createdDate: Date.now() / 1000,
      kmsKeyId: optionalString(input, 'KmsKeyId'),
      versions: new Map(),
      deletedDate: undefined,
    };
    this.#secrets.set(name, secret);
    const secretString = optionalString(input, 'SecretString');
    const version =
      secretString === undefined
        ? undefined
        : this.#addVersion(secret, secretString, optionalString(input, 'ClientRequestToken'), [CURRENT]);
    return { ARN: secret.arn, Name: secret.name, ...(version === undefined ? {} : { VersionId: version.id }) };
  }

  #describeSecret(input: Input): Record<string, unknown> {
    const secret = this.#find(input['SecretId'], { allowDeleted: true });
    // As the service does, only versions with a staging label are listed; the others are deprecated.
    const labelled = [...secret.versions.values()].filter((version) => version.stages.size > 0);
    return {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: secret.createdDate,
      ...(secret.kmsKeyId === undefined ? {} : { KmsKeyId: secret.kmsKeyId }),
      ...(secret.deletedDate === undefined ? {} : { DeletedDate: secret.deletedDate }),
      VersionIdsToStages: Object.fromEntries(labelled.map((version) => [version.id, [...version.stages]])),
    };
  }

  #updateSecretVersionStage(input: Input): Record<string, unknown> {
    const secret = this.#find(input['SecretId']);
    const stage = optionalString(input, 'VersionStage');
    if (stage === undefined) throw invalidParameter('VersionStage is required.');
    const moveTo = optionalString(input, 'MoveToVersionId');
    const removeFrom = optionalString(input, 'RemoveFromVersionId');
    if (moveTo === undefined && removeFrom === undefined) {
      throw invalidParameter('You must specify MoveToVersionId or RemoveFromVersionId.');
    }
    const holder = [...secret.versions.values()].find((version) => version.stages.has(stage));
    if (removeFrom !== undefined && holder?.id !== removeFrom) {
      throw invalidParameter(`The staging label ${stage} is not attached to version ${removeFrom}.`);
    }
    if (moveTo === undefined) {
      if (stage === CURRENT) throw invalidParameter(`You can't remove the staging label ${CURRENT}; move it to another version instead.`);
      holder!.stages.delete(stage);
    } else {
      const target = secret.versions.get(moveTo);
      if (target === undefined) throw notFound(`Secrets Manager can't find the specified secret value for VersionId: ${moveTo}`);
      // The service refuses to take a label from a version the caller did not name.
      if (holder !== undefined && holder !== target && removeFrom === undefined) {
        throw invalidParameter(`The staging label ${stage} is attached to version ${holder.id}; name it in RemoveFromVersionId.`);
      }
      moveStage(secret, stage, target);
    }
    return { ARN: secret.arn, Name: secret.name };
  }

  // ---- helpers --------------------------------------------------------------------------------

  #find(secretId: unknown, { allowDeleted = false } = {}): Secret {
    if (typeof secretId !== 'string' || secretId === '') throw invalidParameter('SecretId is required.');
    const secret = this.#secrets.get(secretId) ?? [...this.#secrets.values()].find((candidate) => candidate.arn === secretId);
    if (secret === undefined) throw notFound();
    if (secret.deletedDate !== undefined && !allowDeleted) {
      throw new SecretsManagerError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    }
    return secret;
  }

  /** A new version (idempotent on ClientRequestToken, as the service is), then its labels moved to it. */
  /**
   * Starts a rotation as the service does before it invokes the rotation function: a new version,
   * with no value yet, labelled AWSPENDING. No function is invoked: tests drive the steps.
   */
  #rotateSecret(input: Input): Record<string, unknown> {
    const secret = this.#find(input['SecretId']);
    const id = optionalString(input, 'ClientRequestToken') ?? randomUUID();
    if (!secret.versions.has(id)) {
      const version: Version = { id, secretString: undefined, createdDate: Date.now() / 1000, stages: new Set() };
      secret.versions.set(id, version);
      moveStage(secret, PENDING, version);
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: id };
  }

  #addVersion(secret: Secret, secretString: string, token: string | undefined, stages: readonly string[]): Version {
    const existing = token === undefined ? undefined : secret.versions.get(token);
    if (existing !== undefined && existing.secretString === undefined) {
      // The version RotateSecret staged: the rotation function's PutSecretValue gives it its value.
      existing.secretString = secretString;
      for (const stage of stages) moveStage(secret, stage, existing);
      return existing;
    }
    if (existing !== undefined) {
      if (existing.secretString !== secretString) {
        throw new SecretsManagerError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
      }
      return existing;
    }
    const version: Version = { id: token ?? randomUUID(), secretString, createdDate: Date.now() / 1000, stages: new Set() };
    secret.versions.set(version.id, version);
    for (const stage of stages) moveStage(secret, stage, version);
    return version;
  }
}

/** Moves a label to `to`; moving AWSCURRENT labels the version it left AWSPREVIOUS, as the service does. */
function moveStage(secret: Secret, stage: string, to: Version): void {
  const from = [...secret.versions.values()].find((version) => version.stages.has(stage));
  if (from === to) return;
  from?.stages.delete(stage);
  to.stages.add(stage);
  if (stage === CURRENT && from !== undefined) moveStage(secret, PREVIOUS, from);
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>, errorType?: string): void {
  send(
    res,
    status,
    {
      'Content-Type': CONTENT_TYPE,
      'x-amzn-RequestId': randomUUID(),
      ...(errorType === undefined ? {} : { 'x-amzn-ErrorType': errorType }),
    },
    JSON.stringify(body),
  );
}

function optionalString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${key} must be a string.`);
  return value;
}

function optionalStrings(input: Input, key: string): string[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw invalidParameter(`${key} must be a list of strings.`);
  return value as string[];
}
