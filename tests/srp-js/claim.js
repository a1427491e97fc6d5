// Computes Cognito's SRP PASSWORD_CLAIM_SIGNATURE with the official
// amazon-cognito-identity-js, step for step as CognitoUser.authenticateUserInternal
// does, but with every random or time-dependent input fixed by the caller.
//
// stdin: a JSON array of cases {userPoolId, clientId, userIdForSrp, password,
//        smallAHex, srpBHex, saltHex, secretBlock (base64), nowMs}
// stdout: a JSON array of {largeAHex, timestamp, signature}, in the same order.
'use strict';
const { Buffer } = require('buffer');
const { Sha256 } = require('@aws-crypto/sha256-js');
const AuthenticationHelper = require('amazon-cognito-identity-js/lib/AuthenticationHelper').default;
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default;
const DateHelper = require('amazon-cognito-identity-js/lib/DateHelper').default;
const { CognitoUserPool } = require('amazon-cognito-identity-js');

const RealDate = Date;
function withClock(nowMs, f) {
  // DateHelper reads `new Date()`: pin it to the case's instant.
  global.Date = class extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(nowMs);
      else super(...args);
    }
  };
  try {
    return f();
  } finally {
    global.Date = RealDate;
  }
}

function claim(c) {
  const pool = new CognitoUserPool({ UserPoolId: c.userPoolId, ClientId: c.clientId });
  const helper = new AuthenticationHelper(pool.getUserPoolName());
  helper.smallAValue = new BigInteger(c.smallAHex, 16);
  helper.largeAValue = undefined;
  let largeA;
  helper.getLargeAValue((err, v) => {
    if (err) throw err;
    largeA = v;
  });
  const serverB = new BigInteger(c.srpBHex, 16);
  const salt = new BigInteger(c.saltHex, 16);
  let hkdf;
  helper.getPasswordAuthenticationKey(c.userIdForSrp, c.password, serverB, salt, (err, key) => {
    if (err) throw err;
    hkdf = key;
  });
  const timestamp = withClock(c.nowMs, () => new DateHelper().getNowString());
  const message = Buffer.concat([
    Buffer.from(pool.getUserPoolName(), 'utf8'),
    Buffer.from(c.userIdForSrp, 'utf8'),
    Buffer.from(c.secretBlock, 'base64'),
    Buffer.from(timestamp, 'utf8'),
  ]);
  const mac = new Sha256(hkdf);
  mac.update(message);
  const signature = Buffer.from(mac.digestSync()).toString('base64');
  return { largeAHex: largeA.toString(16), timestamp, signature };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  process.stdout.write(JSON.stringify(cases.map(claim)));
});
