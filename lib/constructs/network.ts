import { Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  /** Availability zones to spread over, 2–3. */
  readonly maxAzs: number;
  /**
   * NAT gateways for the private subnets' way out (ClickHouse installs its packages, functions
   * reach AWS APIs that have no endpoint here). One is cheaper; one per AZ survives an AZ outage.
   */
  readonly natGateways: number;
  /** @default '10.40.0.0/16' */
  readonly cidr?: string;
}

/**
 * The VPC: public subnets for the load balancers and NAT gateways, private subnets for ClickHouse
 * and the functions that talk to it. Gateway endpoints keep S3 and DynamoDB traffic off the NAT
 * (free), interface endpoints serve what the private parts call most: Secrets Manager (the
 * ClickHouse passwords) and Systems Manager (Session Manager instead of SSH). Flow logs record
 * rejected traffic.
 */
export class Network extends Construct {
  readonly vpc: Vpc;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    if (!Number.isInteger(props.maxAzs) || props.maxAzs < 2 || props.maxAzs > 3) {
      throw new Error(`maxAzs must be 2 or 3, got ${props.maxAzs}`);
    }
    if (!Number.isInteger(props.natGateways) || props.natGateways < 1 || props.natGateways > props.maxAzs) {
      throw new Error(`natGateways must be 1 to maxAzs (${props.maxAzs}), got ${props.natGateways}`);
    }
    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(props.cidr ?? '10.40.0.0/16'),
      maxAzs: props.maxAzs,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 22 },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    for (const [name, service] of [
      ['SecretsManager', InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ['Ssm', InterfaceVpcEndpointAwsService.SSM],
      ['SsmMessages', InterfaceVpcEndpointAwsService.SSM_MESSAGES],
      ['Ec2Messages', InterfaceVpcEndpointAwsService.EC2_MESSAGES],
    ] as const) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, { service, privateDnsEnabled: true });
      for (const group of endpoint.connections.securityGroups) {
        Validations.of(group).acknowledge({
          id: 'AwsSolutions::AwsSolutions-EC23',
          reason:
            "The endpoint's security group admits HTTPS from the VPC's own CIDR only; the rule cannot read the CIDR, which is a CloudFormation reference.",
        });
      }
    }
    this.vpc.addFlowLog('FlowLogs', {
      destination: FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogGroup', { retention: RetentionDays.ONE_MONTH }),
      ),
      trafficType: FlowLogTrafficType.REJECT,
    });
  }
}
