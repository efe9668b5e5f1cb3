/**
 * What the parts of a sidebar item share, apart from item.tsx so that the parts it renders
 * (plots.tsx) can name it without importing item.tsx. item.tsx exports it too.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import type { IDaskClusterManager, IDaskClusterSettings } from '../tokens';

/**
 * What every part of an item needs.
 */
export interface IItemContext {
  manager: IDaskClusterManager;
  commands: CommandRegistry;
  trans: TranslationBundle;
  /**
   * The user's settings, for the saved dashboard layouts; none in tests that need none.
   */
  settings?: IDaskClusterSettings;
}
