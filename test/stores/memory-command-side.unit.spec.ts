import { createMemoryStore } from 'factum';
// #region contract
import { describeCommandSideContract } from 'factum/testing';

describeCommandSideContract('memory', () => createMemoryStore());
// #endregion contract
