import { posix } from 'node:path';
import { ValidationError } from '@tollgate/core';
import { FileNameGlob } from '../files/file-name.glob';

export const BILLING_FILE = /\.(csv|csv\.gz|parquet)$/i;
/** AWS Data Exports (`Manifest.json`), legacy CUR (`<report>-Manifest.json`), Azure exports (`manifest.json`). */
const MANIFEST = /(^|\/)([^/]*-)?manifest\.json$/i;
/** A numbered part of one export run (`part_0_0001.csv`, `export-00001.csv.gz`, `report-1.csv.gz`, `part-0.csv`). */
const PART = /(^|[-_])part[-_]?\d+|[-_]\d+\.(csv|csv\.gz|parquet)$/i;
/** Manifests are small JSON documents; anything bigger is not one. */
export const MANIFEST_MAX_BYTES = 16 * 1024 * 1024;

/** One object of a listing: a local file (path relative to the source's directory), an S3 key or a blob name. */
export interface ListedObject {
  key: string;
  modifiedAt: number;
}

export interface SelectedFile {
  key: string;
  exportRun: { id: string; at: number };
}

interface Manifest {
  key: string;
  /** Manifests of one export and billing period replace each other: the newest wins. */
  group: string;
  at: number;
  files: string[];
}

/**
 * Which data files of an export location to read. With manifests (AWS Data Exports' `Manifest.json` listing
 * `dataFiles`, legacy CUR's `*-Manifest.json` listing `reportKeys`, Azure's per-run `manifest.json` listing `blobs`),
 * the newest manifest per export and billing period decides, and files no such manifest lists are left alone.
 * Without one, every data file is read as part of an export run (the folder of numbered parts, or the file alone),
 * and the ledger takes each period from the newest run: a restated export never doubles a period.
 */
export async function selectExportFiles(objects: ListedObject[], readManifest: (key: string) => Promise<string>, pattern?: FileNameGlob): Promise<SelectedFile[]> {
  const isData = (key: string) => (pattern ? pattern.matches(posix.basename(key)) : BILLING_FILE.test(key));
  const manifests: Manifest[] = [];
  for (const object of objects.filter((o) => MANIFEST.test(o.key))) {
    const manifest = parseManifest(object, await readManifest(object.key));
    if (manifest) manifests.push(manifest);
  }
  if (manifests.length === 0) return byExportRun(objects.filter((o) => isData(o.key)));

  const newest = new Map<string, Manifest>();
  for (const m of manifests) {
    const current = newest.get(m.group);
    if (!current || m.at > current.at || (m.at === current.at && m.key > current.key)) newest.set(m.group, m);
  }
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const selected: SelectedFile[] = [];
  for (const m of [...newest.values()].sort((a, b) => a.key.localeCompare(b.key))) {
    for (const listed of m.files) {
      const key = byKey.has(listed) ? listed : objects.find((o) => listed.endsWith(`/${o.key}`) || o.key.endsWith(`/${listed}`))?.key;
      if (!key) throw ValidationError.field('manifest', `${m.key} lists ${listed}, which is not there (an export still being written, or a partial copy)`);
      selected.push({ key, exportRun: { id: m.key, at: m.at } });
    }
  }
  return selected;
}

function byExportRun(files: ListedObject[]): SelectedFile[] {
  const runOf = (key: string) => (PART.test(posix.basename(key)) ? `${posix.dirname(key)}/` : key);
  const at = new Map<string, number>();
  for (const f of files) at.set(runOf(f.key), Math.max(at.get(runOf(f.key)) ?? 0, f.modifiedAt));
  return files.map((f) => ({ key: f.key, exportRun: { id: runOf(f.key), at: at.get(runOf(f.key))! } })).sort((a, b) => a.key.localeCompare(b.key));
}

/** The files a manifest lists, or undefined for a JSON file that lists none (then it is not a manifest we can use). */
function parseManifest(object: ListedObject, text: string): Manifest | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!json || typeof json !== 'object') return undefined;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  // AWS Data Exports: full s3:// URIs; legacy CUR: keys in the bucket.
  let files = [...strings(json.dataFiles).map((uri) => uri.replace(/^s3:\/\/[^/]+\//, '')), ...strings(json.reportKeys)];
  // Azure exports: blob names in the container.
  if (Array.isArray(json.blobs)) files.push(...json.blobs.map((b) => (b as { blobName?: unknown })?.blobName).filter((n): n is string => typeof n === 'string'));
  files = files.filter((f) => BILLING_FILE.test(f));
  if (files.length === 0) return undefined;
  const runInfo = json.runInfo as { submittedTime?: string } | undefined;
  const submitted = runInfo?.submittedTime ? Date.parse(runInfo.submittedTime) : NaN;
  return { key: object.key, group: manifestGroup(object.key, json), at: Number.isFinite(submitted) ? submitted : object.modifiedAt, files };
}

/**
 * The export and billing period a manifest covers. AWS puts a Data Exports manifest in
 * `metadata/BILLING_PERIOD=YYYY-MM/` and a legacy CUR one in `<yyyymmdd-yyyymmdd>/`; Azure writes each run's
 * manifest in `<yyyymmdd-yyyymmdd>/<run id>/`, so its run folder is skipped.
 */
function manifestGroup(key: string, json: Record<string, unknown>): string {
  const period = json.billingPeriod as { start?: string } | undefined;
  const runInfo = json.runInfo as { startDate?: string } | undefined;
  const exportConfig = json.exportConfig as { exportName?: string } | undefined;
  if (runInfo?.startDate) return `azure:${exportConfig?.exportName ?? posix.dirname(posix.dirname(posix.dirname(key)))}:${runInfo.startDate.slice(0, 10)}`;
  const dir = posix.dirname(key);
  if (/(^|\/)\d{8}-\d{8}\/[^/]+$/.test(dir) && /^[0-9a-f-]{8,}$/i.test(posix.basename(dir))) return posix.dirname(dir);
  return period?.start ? `${posix.dirname(dir)}:${period.start}` : dir;
}
